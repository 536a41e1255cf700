//! The app: its state and the frame's layout. Applying commands is in [`commands`], the
//! menus, status bar and messages in [`menus`]; panels live in their own modules of `ui`.

mod commands;
mod menus;

use std::path::PathBuf;

use super::attribute_form::FormState;
use super::command::Command;
use super::editor::EditorState;
use super::jobs::{JobKind, Jobs, Outcome};
use super::loader::BackgroundLoader;
use super::map_view::{MapView, MapViewState};
use super::timeline::TimelineState;
use super::unsaved_dialog::Pending;
use crate::edit::{History, MAX_UNDOS};
use crate::geodata::{HOME_BBOX, default_catalog};
use crate::model::{Catalog, FeatureRef, TimeFilter};
use crate::spatial::Viewport;

/// Storage key of the persisted state.
pub const APP_KEY: &str = "frontier-atlas";

/// What survives a restart (eframe storage). Runtime state — data, selection, undo — does not.
#[expect(clippy::struct_excessive_bools, reason = "independent settings, each a checkbox in the View menu")]
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PersistedState {
    /// Last view: centre in world units and zoom.
    pub view: Option<([f64; 2], f64)>,
    /// Layers panel open.
    pub show_layers: bool,
    /// Inspector panel open.
    pub show_inspector: bool,
    /// Timeline panel open.
    pub show_timeline: bool,
    /// The legend drawn over the map.
    pub show_legend: bool,
    /// The corner of the map the legend is in, on screen and in exports.
    pub legend_corner: crate::render::LegendCorner,
    /// Who is editing, for the edit journal (the OS user unless changed).
    pub user_name: String,
    /// Folders files were last chosen in, most recent first (see [`super::file_choice`]).
    pub recent_dirs: Vec<std::path::PathBuf>,
    /// Data files last opened or saved, most recent first (File → Open recent; see
    /// [`super::file_choice::remember_file`]).
    pub recent_files: Vec<std::path::PathBuf>,
    /// Always use the built-in file dialog instead of the system one.
    pub builtin_file_dialog: bool,
    /// The IANA zone timestamps are filtered in (View → Time zone); empty means UTC.
    pub time_zone: String,
    /// Light, dark or the system's theme.
    pub theme: Theme,
    /// Saved team store connections, most recent first (never a password).
    pub team_profiles: Vec<super::team_connect::StoreProfile>,
    /// The scenes and bookmarks made with no project open, as a project document (no
    /// layers), so that they survive a restart; empty when there are none. Found walking
    /// the app: a scene made without a project was gone after Quit, without a word.
    pub session: String,
}

/// The window's colour theme (View → Theme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Theme {
    /// Follow the system's light or dark setting.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl Theme {
    /// Every theme, in menu order, with its menu label.
    pub const ALL: [(Self, &'static str); 3] =
        [(Self::System, "Follow the system"), (Self::Light, "Light"), (Self::Dark, "Dark")];

    /// egui's preference for this theme.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            Self::System => egui::ThemePreference::System,
            Self::Light => egui::ThemePreference::Light,
            Self::Dark => egui::ThemePreference::Dark,
        }
    }
}

impl Default for PersistedState {
    fn default() -> Self {
        Self {
            view: None,
            show_layers: true,
            show_inspector: true,
            show_timeline: true,
            show_legend: true,
            legend_corner: crate::render::LegendCorner::default(),
            user_name: crate::io::journal::default_user(),
            recent_dirs: Vec::new(),
            recent_files: Vec::new(),
            builtin_file_dialog: false,
            time_zone: String::new(),
            theme: Theme::System,
            team_profiles: Vec::new(),
            session: String::new(),
        }
    }
}

/// How serious a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something worked.
    Info,
    /// Something was skipped.
    Warning,
    /// Something failed.
    Error,
}

/// A message shown to the analyst until dismissed.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Severity.
    pub level: Level,
    /// Text, naming the file.
    pub text: String,
    /// Extra lines (skipped features).
    pub details: Vec<String>,
    /// When it was posted (egui time, seconds); info messages fade after [`INFO_SECS`].
    pub posted_secs: Option<f64>,
    /// A failed save of this layer: taken down once a save of it succeeds (a later Save As
    /// to another file), since the error no longer holds.
    pub save_failure_of: Option<crate::model::LayerUid>,
}

/// How long an info message stays up; warnings and errors stay until dismissed.
pub const INFO_SECS: f64 = 8.0;

impl Message {
    /// A message with no details.
    pub fn new(level: Level, text: impl Into<String>) -> Self {
        Self { level, text: text.into(), details: Vec::new(), posted_secs: None, save_failure_of: None }
    }

    /// The same message, taken down when a save of `uid` succeeds.
    #[must_use]
    pub fn cleared_by_saving(mut self, uid: crate::model::LayerUid) -> Self {
        self.save_failure_of = Some(uid);
        self
    }

    /// The same message with detail lines.
    #[must_use]
    pub fn with_details(mut self, details: Vec<String>) -> Self {
        self.details = details;
        self
    }
}

/// The Frontier Atlas app.
#[expect(clippy::struct_excessive_bools, reason = "independent window toggles, each shown or not")]
pub struct AtlasApp {
    /// Persisted settings.
    pub state: PersistedState,
    /// All layers.
    pub catalog: Catalog,
    /// The map's view.
    pub map: MapViewState,
    /// The date filter derived from the timeline's range.
    pub filter: TimeFilter,
    /// The selected feature.
    pub selection: Option<FeatureRef>,
    /// Everything the last click hit (co-located features), best first.
    pub hits_here: Vec<FeatureRef>,
    /// The selected district's summary ([`crate::geodata::district_summary`]) and what it was
    /// made for (selection, date range, map generation, layer count): made once, not in every
    /// frame. Found walking the app: with 100k events a big district's summary (thousands of
    /// point-in-polygon tests) was made again in every frame the inspector drew.
    district: Option<(DistrictKey, crate::geodata::DistrictSummary)>,
    /// Text in the search box.
    pub(in crate::ui) search_text: String,
    /// Messages to the analyst.
    pub messages: Vec<Message>,
    /// Timeline state.
    pub timeline: TimelineState,
    /// Whether the About window is open.
    pub(in crate::ui) show_about: bool,
    /// Undo history of every edit (not persisted, by design).
    pub history: History,
    /// Editing tools and sketch.
    pub editor: EditorState,
    /// Attribute form buffers.
    pub(in crate::ui) form: FormState,
    /// A question waiting for the analyst (unsaved edits on quit or layer removal).
    pub(in crate::ui) pending: Option<Pending>,
    /// Set once the analyst has decided about unsaved edits, so the window may close.
    pub allow_close: bool,
    /// The open project file, if any.
    pub project_path: Option<std::path::PathBuf>,
    /// Named views.
    pub bookmarks: Vec<crate::project::Bookmark>,
    /// The project's briefing scenes (kept from open to save).
    pub scenes: Vec<crate::project::ProjectScene>,
    /// The open project's bookmarks and scenes as last opened or saved: the quit and
    /// open-project guard asks before others are dropped.
    pub(in crate::ui) briefing_saved: super::projects::Briefing,
    /// The bookmarks and scenes a project save now running writes, and where.
    pub(in crate::ui) briefing_saving: Option<(std::path::PathBuf, super::projects::Briefing)>,
    /// The Scenes panel and presentation mode.
    pub scenes_ui: super::scenes_panel::ScenesUi,
    /// The measure tool.
    pub measure: super::measure_tool::MeasureTool,
    /// View → Time zone → Other: the IANA name being typed.
    pub zone_text: String,
    /// The "Events near aid sites" query window and its result.
    pub near: super::near_panel::NearPanel,
    /// The bookmark dialog (add or rename), when open.
    pub bookmark_dialog: Option<super::dialogs::BookmarkDialog>,
    /// Whether Help → Keyboard shortcuts is open.
    pub show_shortcuts: bool,
    /// Whether Help → Quick guide is open.
    pub(in crate::ui) show_guide: bool,
    /// The layer whose settings section is open in the Layers panel (by uid, so it stays
    /// with its layer when layers move).
    pub layer_settings: Option<crate::model::LayerUid>,
    /// Layer moves and removals that Undo reverses (see [`super::layer_undo`]).
    pub(crate) layer_undo: super::layer_undo::LayerUndo,
    /// Autosave, recovery and the edit journal.
    pub safety: super::recovery_ui::Safety,
    /// The app's own data folder: user copies of shipped layers (`layers/`), the recent
    /// projects list (tests point it at a temporary folder).
    pub user_dir: PathBuf,
    /// The recent projects, most recent first (read once, kept up to date here).
    pub(in crate::ui) recent: crate::project::RecentProjects,
    /// Saves, exports, autosaves and project opening running on worker threads.
    pub jobs: Jobs,
    /// A project that finished opening while edits were unsaved, waiting for the analyst.
    pub(crate) opened_project: Option<(PathBuf, Box<super::jobs::OpenedProject>)>,
    /// egui time of the current frame, seconds.
    pub(crate) now_secs: f64,
    /// The built-in file dialog and whether the system one is there.
    pub files: super::file_choice::FileChoice,
    /// The team store: connection, opened store layers, pushes, conflicts, live updates.
    pub team: super::team_store::TeamStore,
    loader: BackgroundLoader,
}

impl AtlasApp {
    /// The app on its embedded data, restoring persisted settings when `storage` has them.
    pub fn new(storage: Option<&dyn eframe::Storage>) -> Self {
        let state: PersistedState = storage.and_then(|s| eframe::get_value(s, APP_KEY)).unwrap_or_default();
        // The analyst's zone first, so every layer is dated in it from the start.
        let mut zone_problem = None;
        if !state.time_zone.is_empty() {
            match crate::time::zone::parse_zone(&state.time_zone) {
                Ok(zone) => crate::time::zone::set_current(zone),
                Err(e) => zone_problem = Some(format!("{e}; using UTC")),
            }
        }
        let (catalog, problems) = default_catalog();
        let mut messages = Vec::new();
        if !problems.is_empty() {
            messages.push(Message::new(Level::Warning, "Some embedded data was skipped").with_details(problems));
        }
        if let Some(why) = zone_problem {
            messages.push(Message::new(Level::Warning, why));
        }
        let mut map = MapViewState::new(Viewport::fit_bbox(HOME_BBOX, [1200.0, 760.0]));
        if let Some((center, zoom)) = state.view {
            map.viewport.center = center;
            map.viewport.zoom = zoom;
            map.restored = true;
        }
        let filter = TimeFilter::new(&catalog, None);
        let timeline = TimelineState::new(&catalog);
        let user_dir = super::editing::user_data_dir();
        // Only the real app (with storage) reads and writes its data folder; tests opt in
        // with their own folder.
        let recent = if storage.is_some() {
            crate::project::RecentProjects::load(&user_dir.join(super::projects::RECENT_FILE))
        } else {
            crate::project::RecentProjects::default()
        };
        let mut app = Self {
            state,
            catalog,
            map,
            filter,
            selection: None,
            hits_here: Vec::new(),
            district: None,
            search_text: String::new(),
            messages,
            timeline,
            show_about: false,
            history: History::new(MAX_UNDOS),
            editor: EditorState::default(),
            form: FormState::default(),
            pending: None,
            allow_close: false,
            project_path: None,
            bookmarks: Vec::new(),
            scenes: Vec::new(),
            briefing_saved: super::projects::Briefing::default(),
            briefing_saving: None,
            scenes_ui: super::scenes_panel::ScenesUi::default(),
            measure: super::measure_tool::MeasureTool::default(),
            near: super::near_panel::NearPanel::default(),
            zone_text: String::new(),
            bookmark_dialog: None,
            show_shortcuts: false,
            show_guide: false,
            layer_settings: None,
            layer_undo: super::layer_undo::LayerUndo::default(),
            safety: if storage.is_some() {
                super::recovery_ui::Safety::with_store(user_dir.join("recovery"))
            } else {
                super::recovery_ui::Safety::default()
            },
            user_dir,
            recent,
            jobs: Jobs::default(),
            opened_project: None,
            now_secs: 0.0,
            files: super::file_choice::FileChoice::default(),
            team: super::team_store::TeamStore::with_outbox(
                storage.is_some().then(|| super::editing::user_data_dir().join("outbox")),
            ),
            loader: BackgroundLoader::default(),
        };
        app.restore_session();
        app
    }

    /// Where a window opens first: near the map's top left corner. Found walking the app: the
    /// Scenes window opened over the menu bar (egui's first place for a window), and File could
    /// not be clicked under it.
    pub(in crate::ui) fn window_pos(&self) -> egui::Pos2 {
        let [x, y] = self.map.screen_origin;
        egui::pos2(x + 12.0, y + 12.0)
    }

    /// Waits (up to a minute) for every background job and applies what they report (tests;
    /// the app itself waits only briefly before its window closes).
    pub fn finish_jobs(&mut self) {
        self.finish_jobs_within(std::time::Duration::from_mins(1));
    }

    /// Like [`AtlasApp::finish_jobs`], waiting at most `timeout`.
    pub(crate) fn finish_jobs_within(&mut self, timeout: std::time::Duration) {
        let deadline = std::time::Instant::now() + timeout;
        while !self.jobs.running.is_empty() {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            for outcome in self.jobs.wait(left) {
                self.apply_outcome(outcome);
            }
        }
    }

    /// Applies the outcomes of jobs that finished since the last frame.
    fn receive_jobs(&mut self) {
        for outcome in self.jobs.poll() {
            self.apply_outcome(outcome);
        }
    }

    fn apply_outcome(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Saved { uid, generation, path, journalled, result } => {
                self.on_saved(uid, generation, &path, journalled, result);
            }
            // Draw again with it (the same cells, drawn without listing the features in view).
            Outcome::PointColumn => self.map.invalidate(),
            Outcome::Exported { path, result } => {
                let message = match result {
                    Ok(()) => Message::new(Level::Info, format!("Exported to {}", path.display())),
                    Err(e) => Message::new(Level::Error, e),
                };
                self.messages.push(message);
            }
            Outcome::Autosaved(results) => self.on_autosaved(results),
            Outcome::Housekeeping(problems) => {
                for p in problems {
                    self.messages.push(Message::new(Level::Warning, p));
                }
            }
            Outcome::ProjectOpened { path, result } => self.on_project_opened(path, result),
            Outcome::UserCopies(copies) => self.on_user_copies(copies),
            Outcome::ProjectSaved { path, result } => self.on_project_saved(&path, result),
            Outcome::JournalRead { uid, result } => self.on_journal_read(uid, result),
            Outcome::Restored { entry, result } => self.on_restored(&entry, result),
        }
    }

    /// Starts loading a file as a new layer without blocking the UI.
    pub fn open_file_in_background(&mut self, path: PathBuf) {
        self.loader.load(path);
    }

    /// Loads a file as a new layer right away (used by tests).
    pub fn open_file_now(&mut self, path: &std::path::Path) {
        self.loader.load_now(path);
        self.receive_loaded();
    }

    /// Draws the whole app into `ui` and applies what the panels asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        // A Points layer's column is built on a worker, never in a frame (`render::points`).
        crate::render::points::build_in_background(true);
        self.frame(ui);
        crate::render::points::build_in_background(false);
        for source in crate::render::points::take_requests() {
            self.jobs.spawn(JobKind::PointColumn, "indexing points".to_owned(), None, self.now_secs, move || {
                source.build_and_keep();
                Outcome::PointColumn
            });
        }
    }

    fn frame(&mut self, ui: &mut egui::Ui) {
        self.now_secs = ui.input(|i| i.time);
        if ui.ctx().options(|o| o.theme_preference) != self.state.theme.preference() {
            ui.ctx().set_theme(self.state.theme.preference());
        }
        if self.jobs.ctx.is_none() {
            self.jobs.ctx = Some(ui.ctx().clone());
        }
        if self.loader.ctx.is_none() {
            self.loader.ctx = Some(ui.ctx().clone());
        }
        self.receive_jobs();
        self.receive_loaded();
        self.handle_dropped_files(ui.ctx());
        if !self.file_dialog_open() {
            self.presentation_keys(ui.ctx());
        }
        let mut commands = self.edit_shortcuts(ui.ctx());
        let busy = [JobKind::Save, JobKind::SaveProject, JobKind::Export].into_iter().any(|k| self.jobs.busy(k, None));
        if ui.ctx().input(|i| i.viewport().close_requested())
            && !self.allow_close
            && (busy || !self.dirty_layers().is_empty() || self.unsaved_briefing().is_some())
        {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.pending = Some(Pending::Quit);
        }
        egui::Panel::top("menu").show(ui, |ui| self.menu_bar_ui(ui, &mut commands));
        // Across the window, above the side panels (see `edit_toolbar_ui`); its commands are
        // applied after the panels' (an Undo clicked while a field loses focus comes after the
        // field's own commit, which it then undoes).
        let mut toolbar_commands = Vec::new();
        if self.editor.layer.is_some() {
            egui::Panel::top("edit-toolbar").show(ui, |ui| toolbar_commands = self.edit_toolbar_ui(ui));
        }
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui));
        if self.state.show_timeline && !self.presenting() {
            egui::Panel::bottom("timeline").resizable(false).show(ui, |ui| {
                commands.extend(self.timeline.ui(ui, &self.catalog, &self.filter));
            });
        }
        if self.state.show_layers && !self.presenting() {
            let density_layers = self.map.density_layers();
            egui::Panel::left("layers").default_size(250.0).show(ui, |ui| {
                let dirty = |uid| self.history.is_dirty(uid);
                let editing = super::layers_panel::EditingInfo {
                    layer: self.editor.layer,
                    dirty: &dirty,
                    density_layers: &density_layers,
                };
                commands.extend(super::layers_panel::layers_ui(
                    ui,
                    &self.catalog,
                    &self.filter,
                    self.loader.pending.len(),
                    &editing,
                    &mut self.layer_settings,
                ));
            });
        }
        if self.state.show_inspector && !self.presenting() {
            egui::Panel::right("inspector").default_size(320.0).show(ui, |ui| {
                let form = self
                    .selection
                    .and_then(|s| self.catalog.layers.get(s.layer))
                    .is_some_and(|l| self.editor.is_editing(l.uid))
                    .then_some(&mut self.form);
                let district = self.selection.and_then(|sel| {
                    let key = (sel, self.filter.range, self.map.generation(), self.catalog.layers.len());
                    if self.district.as_ref().is_none_or(|(k, _)| *k != key) {
                        self.district =
                            crate::geodata::district_summary(&self.catalog, sel, self.filter.range.as_ref())
                                .map(|summary| (key, summary));
                    }
                    self.district.as_ref().filter(|(k, _)| *k == key).map(|(_, summary)| summary)
                });
                commands.extend(super::inspector::inspector_ui(
                    ui,
                    &self.catalog,
                    self.selection,
                    &self.hits_here,
                    form,
                    (self.filter.range.as_ref(), district),
                ));
            });
        }
        egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
            commands.append(&mut toolbar_commands);
            let view = MapView {
                catalog: &self.catalog,
                filter: &self.filter,
                selection: self.selection,
                legend: &mut self.state.show_legend,
                legend_corner: self.state.legend_corner,
            };
            let mut map_commands = view.ui(ui, &mut self.map, &mut self.editor);
            self.measure_clicks(&mut map_commands);
            commands.extend(map_commands);
            self.measure_overlay_ui(ui);
            self.near_overlay_ui(ui);
            self.team_overlay_ui(ui);
            if let Some(job) = super::load_progress::load_progress_ui(&mut self.loader, &self.jobs, ui) {
                self.cancel_restore(job);
            }
            self.messages_ui(ui);
        });
        self.about_ui(ui.ctx());
        self.bookmark_dialog_ui(ui.ctx());
        self.help_ui(ui.ctx());
        self.unsaved_dialog_ui(ui.ctx());
        self.recovery_ui(ui.ctx());
        self.journal_ui(ui.ctx());
        self.file_dialog_ui(ui.ctx());
        self.scenes_window_ui(ui.ctx());
        self.near_window_ui(ui.ctx(), &mut commands);
        self.team_ui(ui.ctx());
        self.presentation_overlay_ui(ui.ctx());
        if let Some(range) = self.timeline.tick(ui.ctx()) {
            commands.push(Command::SetRange(Some(range)));
        }
        // Commands are applied after this frame was laid out: draw their result at once
        // rather than on the next input.
        if !commands.is_empty() {
            ui.ctx().request_repaint();
        }
        for c in commands {
            self.apply(c);
        }
        let now = ui.input(|i| i.time);
        self.autosave(now);
        if self.safety.due && self.safety.store.is_some() {
            // Wake up for the autosave even if the analyst does nothing.
            let wait = (self.safety.last_secs + super::recovery_ui::AUTOSAVE_SECS - now).max(0.1);
            ui.ctx().request_repaint_after(std::time::Duration::from_secs_f64(wait));
        }
    }
}

/// What a district summary was made for: the selection, the date range, the map's generation
/// and the number of layers.
type DistrictKey = (FeatureRef, Option<crate::time::Range>, u64, usize);

/// `37.4912° N, 71.5532° E`.
pub fn format_lon_lat(lon: f64, lat: f64) -> String {
    let ns = if lat >= 0.0 { 'N' } else { 'S' };
    let ew = if lon >= 0.0 { 'E' } else { 'W' };
    format!("{:.4}° {ns}, {:.4}° {ew}", lat.abs(), lon.abs())
}

impl eframe::App for AtlasApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        Self::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.state.view = Some((self.map.viewport.center, self.map.viewport.zoom));
        self.keep_session();
        eframe::set_value(storage, APP_KEY, &self.state);
    }
}
