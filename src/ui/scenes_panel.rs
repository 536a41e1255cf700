//! The Scenes panel and presentation mode (issue 11): keep a briefing's views in the project,
//! step through them full screen, and export them as a deck.

use std::path::PathBuf;

use super::app::AtlasApp;
use super::command::Command;
use super::jobs::{JobKind, Outcome};
use crate::project::ProjectScene;

/// The Scenes panel's and presentation mode's state (not persisted; scenes live in projects).
#[derive(Debug, Clone)]
pub struct ScenesUi {
    /// Whether the Scenes window is shown.
    pub open: bool,
    /// The scene shown full screen, if presenting.
    pub presenting: Option<usize>,
    /// The scene last gone to (Update writes the view into it).
    pub current: Option<usize>,
    /// Title typed for a new scene.
    pub new_title: String,
    /// Title printed by File → Export view.
    pub export_title: String,
}

impl Default for ScenesUi {
    fn default() -> Self {
        Self {
            open: false,
            presenting: None,
            current: None,
            new_title: String::new(),
            export_title: "Tajikistan–Afghanistan frontier".to_owned(),
        }
    }
}

/// What a row of the Scenes window asked for.
enum RowAction {
    GoTo(usize),
    Update(usize),
    Up(usize),
    Down(usize),
    Delete(usize),
}

impl AtlasApp {
    /// A scene of the current view, range and visible layers.
    fn scene_here(&self, title: &str) -> ProjectScene {
        ProjectScene::capture(title, &self.map.viewport, self.filter.range, &self.catalog)
    }

    /// Shows scene `i`: its view, date range, and layers with their opacity and style.
    pub fn go_to_scene(&mut self, i: usize) {
        let Some(scene) = self.scenes.get(i).cloned() else { return };
        let v = scene.viewport(self.map.viewport.size_pts);
        self.map.viewport.center = v.center;
        self.map.viewport.zoom = v.zoom;
        scene.apply_layers(&mut self.catalog);
        self.forget_hidden_features();
        self.scenes_ui.current = Some(i);
        self.apply(Command::SetRange(scene.time_range()));
        self.filter.update(&self.catalog);
        self.map.invalidate();
    }

    /// The Scenes menu: the panel, presentation mode, deck export.
    pub(crate) fn scenes_menu_ui(&mut self, ui: &mut egui::Ui) {
        if ui.button("Scenes panel").clicked() {
            self.scenes_ui.open = !self.scenes_ui.open;
            ui.close();
        }
        if ui.add_enabled(!self.scenes.is_empty(), egui::Button::new("Present (F5)")).clicked() {
            self.start_presenting(ui.ctx(), 0);
            ui.close();
        }
        if ui.add_enabled(!self.scenes.is_empty(), egui::Button::new("Export deck…")).clicked() {
            self.choose_file(super::file_choice::FilePurpose::ExportDeck, Some("briefing.pdf"), None);
            ui.close();
        }
    }

    fn start_presenting(&mut self, ctx: &egui::Context, i: usize) {
        if self.scenes.get(i).is_none() {
            return;
        }
        self.scenes_ui.presenting = Some(i);
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(true));
        self.go_to_scene(i);
    }

    fn stop_presenting(&mut self, ctx: &egui::Context) {
        self.scenes_ui.presenting = None;
        ctx.send_viewport_cmd(egui::ViewportCommand::Fullscreen(false));
    }

    /// Presentation keys, read before the map sees them: ←/→ and PageUp/PageDown step
    /// through the scenes, Esc leaves; F5 starts from the first scene.
    pub(crate) fn presentation_keys(&mut self, ctx: &egui::Context) {
        let Some(i) = self.scenes_ui.presenting else {
            if !self.scenes.is_empty() && ctx.input_mut(|inp| inp.consume_key(egui::Modifiers::NONE, egui::Key::F5)) {
                self.start_presenting(ctx, 0);
            }
            return;
        };
        let pressed = |key| ctx.input_mut(|inp| inp.consume_key(egui::Modifiers::NONE, key));
        if pressed(egui::Key::Escape) {
            self.stop_presenting(ctx);
        } else if (pressed(egui::Key::ArrowRight) || pressed(egui::Key::PageDown)) && i + 1 < self.scenes.len() {
            self.start_presenting(ctx, i + 1);
        } else if (pressed(egui::Key::ArrowLeft) || pressed(egui::Key::PageUp)) && i > 0 {
            self.start_presenting(ctx, i - 1);
        }
    }

    /// Whether presentation mode is on (side panels are hidden then).
    pub fn presenting(&self) -> bool {
        self.scenes_ui.presenting.is_some()
    }

    /// The title and notes of the presented scene over the map.
    pub(crate) fn presentation_overlay_ui(&mut self, ctx: &egui::Context) {
        let Some(i) = self.scenes_ui.presenting else { return };
        let Some(scene) = self.scenes.get(i) else { return };
        let (title, notes, count) = (scene.title.clone(), scene.notes.clone(), self.scenes.len());
        let range = crate::render::deck::range_in_words(scene.range);
        let mut leave = false;
        egui::Window::new("Presentation")
            .title_bar(false)
            .resizable(false)
            .anchor(egui::Align2::LEFT_TOP, [12.0, 40.0])
            .max_width(420.0)
            .show(ctx, |ui| {
                ui.heading(&title);
                ui.label(format!("{range} · scene {} of {count}", i + 1));
                if !notes.is_empty() {
                    ui.separator();
                    ui.label(&notes);
                }
                ui.horizontal(|ui| {
                    if ui.add_enabled(i > 0, egui::Button::new("Previous")).clicked() {
                        self.scenes_ui.presenting = Some(i - 1);
                        self.go_to_scene(i - 1);
                    }
                    if ui.add_enabled(i + 1 < count, egui::Button::new("Next")).clicked() {
                        self.scenes_ui.presenting = Some(i + 1);
                        self.go_to_scene(i + 1);
                    }
                    leave = ui.button("Leave (Esc)").clicked();
                });
            });
        if leave {
            self.stop_presenting(ctx);
        }
    }

    /// The Scenes window: add the current view, rename, reorder, update, delete, go to.
    pub(crate) fn scenes_window_ui(&mut self, ctx: &egui::Context) {
        if !self.scenes_ui.open || self.presenting() {
            return;
        }
        let mut open = true;
        let mut action = None;
        let mut add = false;
        let pos = self.window_pos();
        egui::Window::new("Scenes").open(&mut open).default_width(360.0).default_pos(pos).show(ctx, |ui| {
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.scenes_ui.new_title).hint_text("Title").desired_width(200.0),
                )
                .labelled_by(ui.label("New scene").id);
                add = ui.button("Add current view").clicked();
            });
            ui.separator();
            if self.scenes.is_empty() {
                ui.label("No scenes yet: set up the map and add the view.");
            }
            let count = self.scenes.len();
            for (i, scene) in self.scenes.iter_mut().enumerate() {
                ui.push_id(i, |ui| {
                    ui.horizontal(|ui| {
                        let label = ui.label(format!("{}.", i + 1));
                        ui.add(egui::TextEdit::singleline(&mut scene.title).desired_width(170.0)).labelled_by(label.id);
                        if ui.button("Go to").clicked() {
                            action = Some(RowAction::GoTo(i));
                        }
                        if ui.button("Update").on_hover_text("Store the current view, range and layers").clicked() {
                            action = Some(RowAction::Update(i));
                        }
                        if ui.add_enabled(i > 0, egui::Button::new("Up")).clicked() {
                            action = Some(RowAction::Up(i));
                        }
                        if ui.add_enabled(i + 1 < count, egui::Button::new("Down")).clicked() {
                            action = Some(RowAction::Down(i));
                        }
                        if ui.button("Delete").clicked() {
                            action = Some(RowAction::Delete(i));
                        }
                    });
                    let notes = ui.label("Notes");
                    ui.add(egui::TextEdit::multiline(&mut scene.notes).desired_rows(2).desired_width(f32::INFINITY))
                        .labelled_by(notes.id);
                });
                ui.separator();
            }
            ui.horizontal(|ui| {
                let label = ui.label("Export view title");
                ui.text_edit_singleline(&mut self.scenes_ui.export_title).labelled_by(label.id);
            });
        });
        self.scenes_ui.open = open;
        if add {
            let title = if self.scenes_ui.new_title.trim().is_empty() {
                format!("Scene {}", self.scenes.len() + 1)
            } else {
                std::mem::take(&mut self.scenes_ui.new_title)
            };
            self.scenes.push(self.scene_here(&title));
        }
        match action {
            Some(RowAction::GoTo(i)) => self.go_to_scene(i),
            Some(RowAction::Update(i)) => {
                if let Some(old) = self.scenes.get(i).cloned() {
                    let mut new = self.scene_here(&old.title);
                    new.notes = old.notes;
                    new.highlight = old.highlight;
                    new.extra = old.extra;
                    if let Some(slot) = self.scenes.get_mut(i) {
                        *slot = new;
                    }
                }
            }
            Some(RowAction::Up(i)) if i > 0 => self.scenes.swap(i, i - 1),
            Some(RowAction::Down(i)) if i + 1 < self.scenes.len() => self.scenes.swap(i, i + 1),
            Some(RowAction::Delete(i)) if i < self.scenes.len() => {
                self.scenes.remove(i);
            }
            _ => {}
        }
    }

    /// Exports every scene to `path` (PDF deck, or PNG/SVG per scene) on a worker.
    pub fn export_deck_to(&mut self, path: PathBuf) {
        let catalog = self.catalog.clone();
        let scenes = self.scenes.clone();
        let label = format!("exporting the deck to {}", path.display());
        self.jobs.spawn(JobKind::Export, label, None, self.now_secs, move || {
            let refs: Vec<&ProjectScene> = scenes.iter().collect();
            let options = crate::render::deck::DeckOptions::default();
            let result = crate::render::deck::write_deck(&catalog, &refs, &options, &path)
                .map(|_report| ())
                .map_err(|e| e.to_string());
            Outcome::Exported { path, result }
        });
    }
}
